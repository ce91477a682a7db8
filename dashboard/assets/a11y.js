/*
 * Accessible names for the controls Dash renders without one: each slider's thumb is
 * named after its lever (or the label pointing at it), each dropdown's focusable part
 * after its label, each chart's menu after its chart. Runs whenever the page changes
 * (once per animation frame at most).
 */
(function () {
  'use strict';
  const FOCUSABLE = 'input:not([type=radio]):not([type=checkbox]), button, [role=slider], [tabindex]';

  function nameIt(element, name) {
    if (element && name && element.getAttribute('aria-label') !== name) {
      element.setAttribute('aria-label', name);
    }
  }

  function labelFor(id) {
    const label = document.querySelector(`label[for="${CSS.escape(id)}"]`);
    return label ? label.textContent.trim() : '';
  }

  function name() {
    document.querySelectorAll('.lever').forEach((lever) => {
      const label = lever.querySelector('.lever-head label');
      lever.querySelectorAll('[role=slider]').forEach((thumb) => {
        nameIt(thumb, label && label.textContent.trim());
      });
    });
    document.querySelectorAll('label[for]').forEach((label) => {
      const target = document.getElementById(label.htmlFor);
      if (!target) return;
      if (target.matches('button[aria-labelledby]')) {
        // a dropdown: its name is its value; put the label's words in front of it
        if (!label.id) label.id = `${label.htmlFor}-label`;
        const parts = target.getAttribute('aria-labelledby').split(/\s+/);
        if (parts[0] !== label.id) target.setAttribute('aria-labelledby', [label.id, ...parts].join(' '));
        return;
      }
      if (target.matches('input, select, textarea, button')) return;
      target.querySelectorAll(FOCUSABLE).forEach((part) => nameIt(part, label.textContent.trim()));
    });
    const named = {
      'explore-save-name': 'Name this scenario',
      'explore-upload': 'Upload scenario JSON',
    };
    Object.entries(named).forEach(([id, words]) => {
      const element = document.getElementById(id);
      if (!element) return;
      if (element.matches('input')) nameIt(element, words);
      element.querySelectorAll('input').forEach((part) => nameIt(part, words));
    });
    // dropdowns without a label element: a hidden label they can point at
    const menus = {'explore-preset': 'Start from a preset'};
    document.querySelectorAll('[id^="explore-pick-"]').forEach((menu) => {
      menus[menu.id] = `Chart ${Number(menu.id.split('-').pop()) + 1} shows`;
    });
    Object.entries(menus).forEach(([id, words]) => {
      const button = document.getElementById(id);
      if (!button || !button.matches('button[aria-labelledby]')) return;
      let label = document.getElementById(`${id}-label`);
      if (!label) {
        label = document.createElement('span');
        label.id = `${id}-label`;
        label.hidden = true;
        label.textContent = words;
        button.parentElement.insertBefore(label, button);
      }
      const parts = button.getAttribute('aria-labelledby').split(/\s+/);
      if (parts[0] !== label.id) button.setAttribute('aria-labelledby', [label.id, ...parts].join(' '));
    });
    document.querySelectorAll('.dash-dropdown-search').forEach((box) => nameIt(box, 'Search the list'));
    const year = labelFor('explore-cost-year');
    const cost = document.getElementById('explore-cost-year');
    if (cost && year) cost.querySelectorAll('[role=slider]').forEach((thumb) => nameIt(thumb, year));
  }

  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      name();
    });
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
