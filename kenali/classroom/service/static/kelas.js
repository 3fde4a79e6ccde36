// The facilitator's pages of the class server: poll the JSON API and redraw, without reloading the page.
// Text from learners only ever reaches the page through text nodes (never innerHTML).
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("kelas-config").textContent);
  var T = cfg.texts;

  function fmt(template, params) {
    return String(template).replace(/\{(\w+)\}/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m;
    });
  }
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") node.className = attrs[k];
      else if (k === "width") node.style.width = attrs[k];  // CSSOM: allowed where style="" is not (CSP)
      else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }
  function pct(x) { return x === null || x === undefined ? "—" : Math.round(x * 100) + "%"; }
  function ago(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) return fmt(T.ago_seconds, {n: s});
    if (s < 3600) return fmt(T.ago_minutes, {n: Math.floor(s / 60)});
    return fmt(T.ago_hours, {n: Math.floor(s / 3600)});
  }
  function bar(share, cls) {
    var w = share === null || share === undefined ? 0 : Math.round(share * 100);
    return el("span", {"class": "bar " + (cls || "")}, el("span", {"class": "fill", width: w + "%"}),
              el("span", {"class": "label"}, pct(share)));
  }
  function fill(tbody, rows) { tbody.replaceChildren.apply(tbody, rows); }
  function frag(nodes) {
    return nodes.reduce(function (f, n) { f.appendChild(n); return f; }, document.createDocumentFragment());
  }

  // The hub login has expired: load the page again, which goes through the hub's login (at most once a minute).
  function relogin() {
    var last = +(window.sessionStorage.getItem("kelas-relogin") || 0);
    if (Date.now() - last > 60000) {
      window.sessionStorage.setItem("kelas-relogin", String(Date.now()));
      window.location.reload();
    }
  }

  function poll(url, draw) {
    var offline = document.getElementById("offline");
    function tick() {
      fetch(typeof url === "function" ? url() : url, {credentials: "same-origin", headers: {"Accept": "application/json"}, cache: "no-store"})
        .then(function (r) {
          if (r.status === 401) relogin();
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (data) { offline.hidden = true; draw(data); document.body.dataset.polls = String(
          (+document.body.dataset.polls || 0) + 1); })
        .catch(function () { offline.hidden = false; })
        .then(function () { window.setTimeout(tick, cfg.poll); });
    }
    tick();
  }

  // -- the live view ---------------------------------------------------------------------------------
  function drawLive(data) {
    var when = new Date(data.now);
    document.getElementById("updated").textContent = fmt(T.updated, {when: when.toLocaleTimeString("id-ID")});
    var active = data.learners.filter(function (l) { return l.seen_ago !== null && l.seen_ago < 300; }).length;
    document.getElementById("active").textContent = fmt(T.active, {n: active, total: data.learners.length});
    var tried = data.exercises.filter(function (e) { return e.learners > 0; });
    document.getElementById("empty").hidden = tried.length > 0;

    fill(document.querySelector("#exercises tbody"), tried.map(function (e) {
      return el("tr", {"data-exercise": e.exercise},
        el("td", {}, el("b", {}, e.exercise), " ", el("span", {"class": "muted"}, e.title)),
        el("td", {"class": "num"}, e.learners),
        el("td", {"class": "num"}, e.attempts),
        el("td", {}, bar(e.correct_share)),
        el("td", {}, el("a", {href: cfg.prefix + "projector/" + encodeURIComponent(e.exercise)}, T.projector)));
    }));

    var wrong = tried.filter(function (e) { return e.wrong.length > 0; });
    wrong.sort(function (a, b) { return (b.wrong[0].learners - a.wrong[0].learners) || (b.attempts - a.attempts); });
    document.getElementById("wrong-none").hidden = wrong.length > 0;
    document.getElementById("stuck-none").hidden = data.stuck.length > 0;
    document.getElementById("stuck").hidden = data.stuck.length === 0;
    var box = document.getElementById("wrong");
    box.replaceChildren.apply(box, wrong.slice(0, 6).map(function (e) {
      // peran, pasangan: one line per part ("actor → the role most often given instead"), not whole answers
      var parts = (e.parts || []).filter(function (p) { return p.wrong > 0; }).slice(0, e.wrong.length);
      return el("div", {"class": "wrong-ex", "data-exercise": e.exercise},
        el("h3", {}, e.exercise + " · " + e.title),
        el("ul", {}, parts.length ? frag(parts.map(partLine)) : frag(e.wrong.map(function (w) {
          return el("li", {},
            el("span", {"class": "answer"}, w.answer),
            el("span", {"class": "count"}, " ×" + w.attempts),
            w.feedback.length ? el("span", {"class": "feedback"}, w.feedback.join(" ")) : null);
        }))));
    }));

    fill(document.querySelector("#stuck tbody"), data.stuck.map(function (s) {
      return el("tr", {"data-user": s.user},
        el("td", {}, s.user),
        el("td", {}, el("b", {}, s.exercise), " ", el("span", {"class": "muted"}, s.title)),
        el("td", {"class": "num"}, s.attempts),
        el("td", {}, ago(s.since)));
    }));

    var people = data.learners.slice().sort(function (a, b) {
      return (a.seen_ago === null) - (b.seen_ago === null) || (a.seen_ago - b.seen_ago) || (a.user < b.user ? -1 : 1);
    });
    fill(document.querySelector("#learners tbody"), people.map(function (l) {
      return el("tr", {"data-user": l.user, "class": l.seen_ago !== null && l.seen_ago < 300 ? "" : "idle"},
        el("td", {}, l.user),
        el("td", {}, l.exercise ? el("b", {}, l.exercise) : "—", " ",
           el("span", {"class": "muted"}, l.exercise_title || "")),
        el("td", {}, ago(l.seen_ago)),
        el("td", {"class": "num"}, l.correct + "/" + l.tried));
    }));
  }

  function partLine(p) {
    // "actor → the role most often given instead · n of N"; then the part's share correct, the key, the feedback
    return el("li", {"class": "part", "data-item": p.item},
      el("span", {"class": "actor"}, p.label), " → ",
      el("span", {"class": "given"}, p.given),
      el("span", {"class": "count"}, " · " + fmt(T.part_learners, {n: p.given_learners, total: p.learners})),
      el("span", {"class": "part-meta"}, [fmt(T.part_share, {share: pct(p.correct_share)}),
        p.wrong > p.given_learners ? fmt(T.part_wrong_total, {n: p.wrong}) : null,
        fmt(T.part_key, {key: p.key})].filter(Boolean).join(" · ")),
      p.feedback ? el("span", {"class": "feedback"}, p.feedback) : null);
  }

  // -- the projector ---------------------------------------------------------------------------------
  function drawParts(data) {
    // one row per actor or term: the options chosen for it as small bars (the key marked, shown on request)
    var list = document.getElementById("parts");
    list.hidden = false;
    document.getElementById("answers").hidden = true;
    list.replaceChildren.apply(list, data.parts.map(function (p) {
      return el("li", {"data-item": p.item},
        el("span", {"class": "actor"}, p.label, el("span", {"class": "key-mark"}, "✓ " + T.key_mark + ": " + p.key)),
        el("span", {"class": "roles"}, frag(p.roles.map(function (r) {
          return el("span", {"class": "role" + (r.correct ? " key" : "") + (r.role ? "" : " empty")},
            el("span", {"class": "role-label"}, r.label),
            el("span", {"class": "mini"}, el("span", {"class": "fill", width: Math.round(100 * r.share) + "%"})),
            el("span", {"class": "role-count"}, r.learners + " (" + pct(r.share) + ")"));
        }))));
    }));
  }

  function drawProjector(data) {
    document.getElementById("share").textContent = data.learners
      ? fmt(T.projector_share, {share: pct(data.correct_share)}) : T.projector_none;
    document.getElementById("count").textContent = fmt(T.projector_count, {n: data.learners});
    if (data.parts && data.parts.length) drawParts(data);
    var max = Math.max.apply(null, [1].concat(data.answers.map(function (a) { return a.learners; })));
    var list = document.getElementById("answers");
    list.replaceChildren.apply(list, data.answers.map(function (a) {
      return el("li", {"class": a.correct ? "key" : ""},
        el("span", {"class": "answer"}, a.answer, a.correct ? el("span", {"class": "key-mark"}, " ✓ " + T.key_mark) : null),
        el("span", {"class": "hbar"}, el("span", {"class": "fill", width: Math.round(100 * a.learners / max) + "%"})),
        el("span", {"class": "count"}, a.learners + " (" + pct(a.share) + ")"));
    }));
    var people = document.getElementById("participants");
    people.replaceChildren.apply(people, data.participants.map(function (p) {
      return el("li", {"class": "st-" + p.status, title: T.status[p.status] || p.status}, p.name);
    }));
  }

  if (cfg.view === "live") {
    // one lesson or all, remembered in the address (#01) so a reload keeps it
    var select = document.getElementById("lesson");
    select.value = window.location.hash.slice(1);
    if (select.selectedIndex < 0) select.value = "";
    poll(function () {
      return cfg.prefix + "api/live" + (select.value ? "?lesson=" + encodeURIComponent(select.value) : "");
    }, drawLive);
    select.addEventListener("change", function () {
      window.history.replaceState(null, "", select.value ? "#" + select.value : window.location.pathname);
      document.body.dataset.lesson = select.value;
    });
  } else {
    var toggle = document.getElementById("toggle-key");
    toggle.addEventListener("click", function () {
      var on = document.body.classList.toggle("show-key");
      toggle.textContent = on ? toggle.dataset.hide : toggle.dataset.show;
    });
    poll(cfg.prefix + "api/projector/" + encodeURIComponent(cfg.exercise), drawProjector);
  }
})();
