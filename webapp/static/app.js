// newsdesk: progressive enhancements. Every page works without this file:
// facet clicks, chips, sorting and paging are plain links and forms.
// With it: in-place navigation (fetch the page, swap #content, pushState),
// facet checkboxes that apply at once, "/" to search, j/k through results,
// a facet filter box, and dragging across the timeline to pick a date range.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  function $(sel, scope) { return (scope || document).querySelector(sel); }
  function $all(sel, scope) { return Array.prototype.slice.call((scope || document).querySelectorAll(sel)); }

  // --- in-place navigation ------------------------------------------------------------
  var busy = null;
  var shown = window.location.pathname + window.location.search;  // what #content shows

  function isSearchUrl(url) {
    return url.origin === window.location.origin && url.pathname === "/";
  }

  function cleanFormUrl(form) {
    var url = new URL(form.action, window.location.href);
    var data = new FormData(form);
    var params = new URLSearchParams();
    data.forEach(function (value, key) {
      if (typeof value !== "string" || value.trim() === "") { return; }
      if (key === "sort" && value === "relevance") { return; }
      params.append(key, value);
    });
    url.search = params.toString();
    return url;
  }

  function navigate(url, opts) {
    opts = opts || {};
    url = new URL(url, window.location.href);
    if (!window.fetch || !window.DOMParser || !isSearchUrl(url)) {
      window.location.href = url.href;
      return;
    }
    if (busy) { busy.abort(); }
    var controller = window.AbortController ? new AbortController() : null;
    busy = controller;
    root.classList.add("is-loading");
    var focusId = document.activeElement && document.activeElement.id;
    fetch(url.href, { headers: { "Accept": "text/html" }, credentials: "same-origin",
                      signal: controller ? controller.signal : undefined })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("text/html") !== 0) { throw new Error("not html"); }
        return response.text().then(function (text) { return { ok: response.ok, text: text }; });
      })
      .then(function (page) {
        var doc = new DOMParser().parseFromString(page.text, "text/html");
        var fresh = doc.getElementById("content");
        var current = document.getElementById("content");
        if (!fresh || !current) { throw new Error("no content"); }
        current.replaceWith(document.adoptNode(fresh));
        document.title = doc.title;
        $all('link[rel="alternate"]').forEach(function (el) {
          var twin = doc.querySelector('link[rel="alternate"][type="' + el.type + '"]');
          if (twin) { el.href = twin.getAttribute("href"); }
        });
        if (opts.push !== false) { window.history.pushState({ newsdesk: true }, "", url.href); }
        shown = url.pathname + url.search;
        busy = null;
        root.classList.remove("is-loading");
        enhance();
        root.classList.remove("filters-open");  // the fresh page has its drawer closed
        var again = focusId && document.getElementById(focusId);
        var anchor = url.hash && document.getElementById(decodeURIComponent(url.hash.slice(1)));
        if (anchor) {  // e.g. back from an article to its hit in the results
          var inner = $("a[href]", anchor) || anchor;
          inner.focus({ preventScroll: true });
          anchor.scrollIntoView({ block: "start" });
        } else if (opts.toResults) {  // a filter changed on a phone: show what it did
          var title = $("#results-title") || $("#main");
          if (title) {
            title.focus({ preventScroll: true });
            title.scrollIntoView({ block: "start", behavior: "instant" });
          }
        } else if (again && focusId !== "q") {
          again.focus();
        } else if (!opts.keepScroll) {
          var heading = $("#results-title") || $("#main");
          if (heading) { heading.focus({ preventScroll: true }); }
          var top = $("#main");
          if (top && top.getBoundingClientRect().top < 0) { top.scrollIntoView(); }
        }
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") { return; }
        window.location.href = url.href;  // fall back to a normal page load
      });
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) { return; }
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) { return; }
    if (!link.closest("#content")) { return; }
    var href = link.getAttribute("href") || link.getAttribute("xlink:href");
    if (!href || href.charAt(0) === "#") { return; }
    var url = new URL(href, window.location.href);
    if (!isSearchUrl(url)) { return; }
    if (link.closest(".timeline") && timelineDrag.justDragged) { event.preventDefault(); return; }
    event.preventDefault();
    navigate(url, { toResults: narrow() && !!link.closest("#refine") });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "search") { return; }
    event.preventDefault();
    navigate(cleanFormUrl(form), { toResults: narrow() });
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches('.facet input[type="checkbox"]') && box.form) {
      // the form's URL: this value toggled, back to page 1; on a phone the facets sit
      // far below (or in the drawer), so the results are brought into view
      navigate(cleanFormUrl(box.form), { toResults: narrow() });
    }
  });

  // --- phones: "Filters (n)" opens the facets as a drawer (without JS: a link down) ----
  function narrow() {
    return !!(window.matchMedia && window.matchMedia("(max-width: 800px)").matches);
  }

  function setDrawer(open) {
    var panel = $("#refine");
    var toggle = $(".filters-toggle__link");
    if (!panel) { return; }
    panel.classList.toggle("is-open", open);
    root.classList.toggle("filters-open", open);
    var close = $(".facets__close", panel);
    if (close) { close.hidden = !open; }
    if (toggle) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); }
    if (open) {
      panel.scrollTop = 0;
      if (close) { close.focus(); }
    } else if (toggle) {
      toggle.focus({ preventScroll: true });
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest(".filters-toggle__link, .facets__close");
    if (!target) { return; }
    if (target.classList.contains("facets__close")) {
      event.preventDefault();
      setDrawer(false);
    } else if (narrow()) {
      event.preventDefault();
      setDrawer(true);
    }
  });

  window.addEventListener("popstate", function () {
    var here = window.location.pathname + window.location.search;
    if (here === shown) { return; }  // only the #fragment changed
    if (isSearchUrl(new URL(window.location.href))) {
      navigate(window.location.href, { push: false, keepScroll: true });
    } else {
      window.location.reload();
    }
  });
  if (!window.history.state) { window.history.replaceState({ newsdesk: true }, ""); }

  // --- keyboard: "/" focuses the search box, j/k move through results ----------------
  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  var active = -1;
  function move(step) {
    var links = $all(".hit__title a");
    if (!links.length) { return; }
    var at = links.indexOf(document.activeElement);
    if (at === -1) { at = active; }
    active = Math.max(0, Math.min(links.length - 1, at + step));
    $all(".hit.is-active").forEach(function (el) { el.classList.remove("is-active"); });
    var hit = links[active].closest(".hit");
    hit.classList.add("is-active");
    links[active].focus();
    hit.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.metaKey || event.ctrlKey || event.altKey) { return; }
    if (event.key === "Escape" && root.classList.contains("filters-open")) {
      setDrawer(false);
      return;
    }
    if (typing(document.activeElement)) {
      if (event.key === "Escape" && document.activeElement.id === "q") { document.activeElement.blur(); }
      return;
    }
    if (event.key === "/") {
      var q = $("#q");
      if (q) { event.preventDefault(); q.focus(); q.select(); }
    } else if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    }
  });

  // --- per-page enhancements (run again after every swap) -----------------------------
  function enhanceFacetFilters() {
    $all(".facet__filter").forEach(function (box) {
      box.hidden = false;
      var input = $("input", box);
      var facet = box.closest(".facet");
      input.addEventListener("input", function () {
        var needle = input.value.trim().toLowerCase();
        var more = $(".facet__more", facet);
        if (more && needle) { more.open = true; }
        $all(".facet__values li", facet).forEach(function (li) {
          var label = $(".facet__name", li);
          var text = label ? label.textContent.toLowerCase() : "";
          li.hidden = needle !== "" && text.indexOf(needle) === -1;
        });
      });
    });
  }

  var timelineDrag = { justDragged: false };
  function enhanceTimeline() {
    var svg = $(".timeline__chart");
    if (!svg) { return; }
    var bars = $all(".timeline__bar", svg);
    var selection = $(".timeline__selection", svg);
    var start = null, end = null;

    function barAt(event) {
      var el = document.elementFromPoint(event.clientX, event.clientY);
      return el && el.closest && el.closest(".timeline__bar");
    }
    function paint() {
      if (start === null) { selection.setAttribute("width", "0"); return; }
      var a = bars[Math.min(start, end)].querySelector(".timeline__hit");
      var b = bars[Math.max(start, end)].querySelector(".timeline__hit");
      var x = parseFloat(a.getAttribute("x"));
      selection.setAttribute("x", String(x));
      selection.setAttribute("width",
        String(parseFloat(b.getAttribute("x")) + parseFloat(b.getAttribute("width")) - x));
    }
    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      var bar = barAt(event);
      if (!bar) { return; }
      start = end = bars.indexOf(bar);
      timelineDrag.justDragged = false;
      event.preventDefault();  // no native link drag
    });
    svg.addEventListener("pointermove", function (event) {
      if (start === null) { return; }
      var bar = barAt(event);
      if (bar) { end = bars.indexOf(bar); }
      if (end !== start) { svg.classList.add("is-dragging"); paint(); }
    });
    function finish() {
      if (start === null) { return; }
      var lo = Math.min(start, end), hi = Math.max(start, end);
      var dragged = lo !== hi;
      start = end = null;
      svg.classList.remove("is-dragging");
      paint();
      if (!dragged) { return; }  // a plain click: the bar's own link does it
      timelineDrag.justDragged = true;
      window.setTimeout(function () { timelineDrag.justDragged = false; }, 0);
      var url = new URL(window.location.href);
      url.searchParams.set("from", bars[lo].getAttribute("data-from"));
      url.searchParams.set("to", bars[hi].getAttribute("data-to"));
      url.searchParams.delete("page");
      navigate(url);
    }
    svg.addEventListener("dragstart", function (event) { event.preventDefault(); });
    svg.addEventListener("pointerup", finish);
    svg.addEventListener("pointerleave", function () {
      if (start !== null && start !== end) { finish(); } else { start = end = null; paint(); }
    });
  }

  // --- the article page: "Next match" steps through the search words marked in the body --
  function enhanceMatches() {
    var next = $(".next-match");
    var marks = $all(".article__body mark.match");
    if (!next || !marks.length) { return; }
    var position = $(".next-match__position");
    var at = -1;
    next.setAttribute("role", "button");
    next.addEventListener("click", function (event) {
      event.preventDefault();
      if (at >= 0) { marks[at].classList.remove("is-current"); }
      at = (at + 1) % marks.length;
      marks[at].classList.add("is-current");
      marks[at].scrollIntoView({ block: "center" });
      if (position) { position.textContent = (at + 1) + " of " + marks.length; }
    });
  }

  function enhance() {
    active = -1;
    enhanceMatches();
    var toggle = $(".filters-toggle__link");
    if (toggle) {
      toggle.setAttribute("role", "button");
      toggle.setAttribute("aria-expanded", "false");
    }
    enhanceFacetFilters();
    enhanceTimeline();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var q = $(".search-form--main #q");
    if (q && document.activeElement !== q && !window.location.hash) {
      q.focus();
      var end = q.value.length;
      try { q.setSelectionRange(end, end); } catch (e) { /* type=search may refuse */ }
    }
    enhance();
  });
})();
