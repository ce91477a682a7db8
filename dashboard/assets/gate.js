/*
 * Live drag for the Explore page: one request in flight per browser.
 *
 * A slider move (its drag_value while the pointer drags, its value on release, a key
 * press or a value set by the page) is kept as the wanted scenario. It is sent at once
 * when no answer is awaited, else when the answer arrives (explore-done), so the server
 * always works on the newest values and a fast drag never queues stale requests.
 *
 * A request is "final" when the sliders have settled (a release, or no move for
 * SETTLE_MS): the server then adds the uncertainty bands; while a drag goes on it sends
 * the scenario's line alone. The first request of a page is "fresh": it draws
 * everything, later ones patch the scenario's traces. An answer lost for LOST_MS frees
 * the gate.
 *
 * A fan makes a drag immediate: when the pointer comes over a lever (or a slider gets
 * the keyboard's focus), the page asks once for that lever's scenario at every step of
 * its slider, the other levers as they are (explore-fan, one batch on the server). While
 * the pointer drags that lever and nothing else has changed, each move redraws the
 * scenario's line from the fan in the page, with no request; the release asks the server
 * for the whole picture as before (bands, cards, address).
 *
 * A drag that starts before its lever's fan has arrived (a press at once) waits for the
 * fan rather than asking for lines: drawn from the fan, the first move shows sooner than
 * a line request's answer would (measured in benchmarks/bench_drag.py), and the line's
 * answer no longer competes with the fan on the server and in the page. A fan that does
 * not come within fanWaitMs (a busy server skips fans) leaves the drag to line requests.
 */
(function () {
  'use strict';
  // above the gap between the moves of a slow drag (about 250 ms in Chromium when the
  // page redraws between them): a shorter wait asked for the whole picture mid-drag, whose
  // redrawing delayed the next moves past it again
  const SETTLE_MS = 400;
  const LOST_MS = 4000;

  function sameValues(a, b) {
    return Boolean(a && b && a.length === b.length && a.every((v, i) => v === b[i]));
  }

  /* The slider a trigger names ('{"key":...,"type":...}.drag_value') and the property. */
  function triggered(prop, ids) {
    const dot = prop.lastIndexOf('.');
    let id;
    try {
      id = JSON.parse(prop.slice(0, dot));
    } catch (error) {
      return [-1, ''];
    }
    const index = ids.findIndex((x) => x && id && x.key === id.key);
    return [index, prop.slice(dot + 1)];
  }

  function present(value) {
    return value !== null && value !== undefined;
  }

  const gate = {
    state: null,

    reset(values, n) {
      if (this.state) {
        clearTimeout(this.state.lost);
        clearTimeout(this.state.settle);
      }
      this.state = {
        busy: false, n: n || 0, wanted: values.slice(), sent: null,
        final: true, sentFinal: false, fresh: true, lost: null, settle: null,
      };
    },

    /* The request to send now, or null (nothing new, or an answer is awaited). */
    flush() {
      const g = this.state;
      if (!g || g.busy) return null;
      if (!g.final && this.drawable(g.wanted)) return null;  // the fan draws the drag
      if (!g.final && this.coming(g.wanted)) return null;  // it will, once it arrives
      if (sameValues(g.sent, g.wanted) && (g.sentFinal || !g.final)) return null;
      g.busy = true;
      g.n += 1;
      g.sent = g.wanted.slice();
      g.sentFinal = g.final;
      const request = {values: g.sent, n: g.n, final: g.sentFinal, fresh: g.fresh};
      g.fresh = false;
      clearTimeout(g.lost);
      g.lost = setTimeout(() => {
        g.busy = false;
        this.send();
      }, LOST_MS);
      return request;
    },

    send() {
      const request = this.flush();
      if (request) window.dash_clientside.set_props('explore-request', {data: request});
    },

    /* --- the fan: a drag drawn in the page --- */
    ids: null,
    fan: null,  // the last fan received, kept while the region and charts stay the same
    context: null,  // {region, picks} the page shows
    asked: null,  // what the last fan request was for ("key|values")
    pending: null,  // the fan asked for and not yet arrived: {key, values, until}
    // how long a drag waits for it: above a fan's usual time on an idle server (about
    // 100-150 ms after it is asked for)
    fanWaitMs: 300,
    waiting: null,  // the timer that gives up on it

    levers(values) {
      const out = {};
      (this.ids || []).forEach((id, i) => { out[id.key] = values[i]; });
      return out;
    },

    /* Do two sets of slider values differ in lever ``key`` alone? */
    sameBut(key, a, b) {
      return this.ids.every((id, i) => id.key === key || Math.abs(a[i] - b[i]) < 1e-9);
    },

    /* Can the fan draw these slider values? (only its lever differs from the fan's) */
    drawable(values) {
      const fan = this.fan, ids = this.ids, context = this.context;
      if (!fan || !ids || !context || fan.region !== context.region) return false;
      if (!sameValues(fan.picks, context.picks)) return false;
      return this.sameBut(fan.key, ids.map((id) => fan.levers[id.key] ?? NaN), values);
    },

    /* Will a fan asked for a moment ago draw these values? (only its lever differs) */
    coming(values) {
      const pending = this.pending;
      if (!pending || !this.ids || performance.now() > pending.until) return false;
      if (this.fan && this.fan.key === pending.key && this.drawable(pending.values)) return false;
      return this.sameBut(pending.key, pending.values, values);
    },

    /* Ask for a fan of lever ``key`` unless the one held (or asked for) serves. */
    prefetch(key) {
      const g = this.state;
      if (!g || !this.ids || key === 'policy_start_year') return;  // it moves the start line
      const signature = key + '|' + g.wanted.join(',');
      if ((this.fan && this.fan.key === key && this.drawable(g.wanted)) || this.asked === signature) return;
      this.asked = signature;
      const wait = this.fanWaitMs;
      this.pending = {key: key, values: g.wanted.slice(), until: performance.now() + wait};
      clearTimeout(this.waiting);
      // if it has not come by then, a drag waiting for it asks for its lines
      this.waiting = setTimeout(() => this.send(), wait + 1);
      window.dash_clientside.set_props('explore-fan-request',
        {data: {key: key, levers: this.levers(g.wanted), n: g.n}});
    },

    /* Draw the newest wanted values at the next frame: moves faster than the screen
       redraws are merged, so drawing never falls behind the pointer. */
    drawSoon() {
      if (this.frame) return;
      this.frame = window.requestAnimationFrame(() => {
        this.frame = null;
        const g = this.state;
        if (g && !g.final && this.drawable(g.wanted)) this.draw(g.wanted);
      });
    },
    frame: null,

    /* Redraw the scenario's line on every chart from the fan; bands hide until release. */
    draw(values) {
      const fan = this.fan;
      const i = this.ids.findIndex((id) => id.key === fan.key);
      const step = Math.round((values[i] - fan.min) / fan.step);
      if (step < 0 || step >= fan.count) return false;
      const marker = document.getElementById('explore-drawn');
      if (marker && marker.firstChild && marker.firstChild.nodeType === Node.TEXT_NODE) {
        // the levers of the picture on screen (the text node React owns, not a new one)
        const levers = this.levers(values), sorted = {};
        Object.keys(levers).sort().forEach((k) => { sorted[k] = levers[k]; });
        marker.firstChild.nodeValue = JSON.stringify(sorted);
      }
      fan.lines.forEach((lines, chart) => {
        const gd = document.querySelector(`#explore-chart-${chart} .js-plotly-plot`);
        if (!gd || !gd.data || gd.data.length < 2 || !window.Plotly) return;
        const bands = [];  // the scenario's band, while still shown (it is for older values)
        gd.data.forEach((trace, k) => {
          if (trace.legendgroup === 'This scenario' && trace.visible !== false) bands.push(k);
        });
        if (bands.length) {
          window.Plotly.restyle(gd, {
            y: [lines[step]].concat(bands.map((k) => gd.data[k].y)),
            visible: [true].concat(bands.map(() => false)),
          }, [1].concat(bands));
        } else {
          window.Plotly.restyle(gd, {y: [lines[step]]}, [1]);
        }
      });
      return true;
    },
  };

  // a pointer over a lever, or a slider's thumb focused: get its fan ready for a drag
  function leverKey(element) {
    const lever = element && element.closest && element.closest('.lever');
    const slider = lever && lever.querySelector('[id*="explore-lever"]');
    if (!slider) return null;
    try {
      return JSON.parse(slider.id).key;
    } catch (error) {
      return null;
    }
  }
  ['pointerover', 'focusin'].forEach((kind) => document.addEventListener(kind, (event) => {
    const key = leverKey(event.target);
    if (key && document.getElementById('explore-drawn')) gate.prefetch(key);
  }, {passive: true}));
  window.flywheelGate = gate;

  const dc = (window.dash_clientside = window.dash_clientside || {});
  dc.flywheel = Object.assign(dc.flywheel || {}, {
    /* Slider moves -> explore-request (or nothing while an answer is awaited). */
    gate(drags, values, ids, lastRequest) {
      gate.ids = ids;
      const props = (dc.callback_context.triggered || [])
        .map((t) => t.prop_id)
        .filter((p) => p && p !== '.');
      const g = gate.state;
      // a page (re)opened: its request store is empty and its charts are blank
      if (!g || !present(lastRequest) || !props.length || g.wanted.length !== values.length) {
        gate.reset(values, g ? g.n : 0);  // a page (re)opened: draw everything
      }
      const s = gate.state;
      let moved = false;
      for (const prop of props) {
        const [i, what] = triggered(prop, ids);
        if (i < 0) continue;
        const dragging = what === 'drag_value' && present(drags[i]);
        s.wanted[i] = dragging ? drags[i] : values[i];
        s.final = !dragging;
        moved = true;
      }
      if (moved && !s.final && gate.drawable(s.wanted)) gate.drawSoon();
      clearTimeout(s.settle);
      if (moved && !s.final) {
        s.settle = setTimeout(() => {  // the sliders stopped: ask for the whole picture
          s.final = true;
          gate.send();
        }, SETTLE_MS);
      }
      return gate.flush() || dc.no_update;
    },

    /* A fan arrived, or the region or a chart changed (a fan no longer fits). */
    keepFan(fan, region, ...picks) {
      const fromFan = (dc.callback_context.triggered || []).some(
        (t) => (t.prop_id || '').startsWith('explore-fan.'));
      gate.context = {region: region, picks: picks};
      if (fromFan && fan && fan.region === region && sameValues(fan.picks, picks)) {
        gate.fan = fan;
        const g = gate.state;
        if (g && !g.final && gate.drawable(g.wanted)) gate.drawSoon();  // a drag waited for it
      } else if (!fromFan) {
        gate.fan = null;
        gate.asked = null;
        gate.pending = null;
      }
      gate.send();  // a drag that waited for a fan that does not fit asks for its lines
      return dc.no_update;
    },

    /* An answer arrived: free the gate, send the newest wanted values if they differ. */
    release(done) {
      const g = gate.state;
      if (!g || !present(done) || done !== g.n) return dc.no_update;
      clearTimeout(g.lost);
      g.busy = false;
      gate.send();
      return dc.no_update;
    },

    /* An on/off lever: a tick sets its hidden slider to 1 or 0; a slider set elsewhere
       (a preset, a link, the story, reset) ticks or clears the box. */
    switch(ticked, value) {
      const fromBox = (dc.callback_context.triggered || []).some(
        (t) => (t.prop_id || '').startsWith('explore-switch-'));
      if (fromBox) {
        const on = Array.isArray(ticked) && ticked.includes('on') ? 1 : 0;
        return [dc.no_update, on === value ? dc.no_update : on];
      }
      const box = present(value) && value >= 0.5 ? ['on'] : [];
      const same = Array.isArray(ticked) && ticked.length === box.length;
      return [same ? dc.no_update : box, dc.no_update];
    },

    /* The box beside each slider shows its value, live while dragging. */
    boxes(drags, values, ids) {
      const out = values.map((v) => (present(v) ? String(v) : ''));
      for (const t of dc.callback_context.triggered || []) {
        const [i, what] = triggered(t.prop_id || '', ids);
        if (i >= 0 && what === 'drag_value' && present(drags[i])) out[i] = String(drags[i]);
      }
      return out;
    },
  });
})();
