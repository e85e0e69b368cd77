/* RadBridge image viewer: frames rendered by the server as JPEG, shown one at a time.
   Scroll (wheel, keys, slider, one-finger drag), window/level (presets, drag), zoom and pan
   (buttons, wheel with Ctrl, pinch, drag). Pointer events serve mouse, pen and touch alike.
   No inline script or style: the page's CSP forbids both; styles are set through the CSSOM. */
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("viewer");
    var dataNode = document.getElementById("viewer-data");
    if (!root || !dataNode) { return; }
    var data = JSON.parse(dataNode.textContent);
    // Where the pictures are served comes from the page: the study's own URLs for a
    // signed-in reader, the share's for a share-code recipient.
    var base = root.getAttribute("data-base");
    var viewport = document.getElementById("viewport");
    var image = document.getElementById("frame");
    var slider = document.getElementById("frame-slider");
    var status = document.getElementById("frame-status");

    var state = { series: 0, index: 0, window: null, tool: "scroll", zoom: 1, x: 0, y: 0 };
    var pointers = new Map();
    var gesture = null;
    var preloaded = {};
    var pending = null;
    var loading = false;

    function current() { return data.series[state.series]; }

    function frameUrl(series, index, windowPair) {
      var entry = series.frames[index];
      var url = base + entry[0] + "/frames/" + entry[1] + "/";
      if (windowPair) { url += "?window=" + windowPair[0].toFixed(1) + "," + windowPair[1].toFixed(1); }
      return url;
    }

    var windows = {};  // frame URL -> the window it was rendered with
    var shownWindow = null;
    var slopes = root.querySelectorAll("#window-preview [slope]");

    // While the server renders the new window, the picture on screen is remapped at once
    // (an SVG linear transfer of its grey levels) so a drag feels immediate.
    function preview() {
      var wanted = state.window || current().window;
      if (!shownWindow || (wanted[0] === shownWindow[0] && wanted[1] === shownWindow[1])) {
        image.style.filter = ""; return;
      }
      var slope = shownWindow[1] / wanted[1];
      var intercept = (shownWindow[0] - wanted[0] - 0.5 * shownWindow[1]) / wanted[1] + 0.5;
      slopes.forEach(function (node) {
        node.setAttribute("slope", String(slope));
        node.setAttribute("intercept", String(intercept));
      });
      image.style.filter = "url(#window-preview)";
    }

    function show() {
      var series = current();
      var url = frameUrl(series, state.index, state.window);
      windows[url] = state.window || series.window;
      // One request at a time: while one loads, only the newest wish is kept.
      if (loading) { pending = url; } else { load(url); }
      preview();
      slider.max = String(series.frames.length);
      slider.value = String(state.index + 1);
      var shown = state.window || series.window;
      status.textContent = "Image " + (state.index + 1) + " of " + series.frames.length +
        " · contrast W " + Math.round(shown[1]) + " L " + Math.round(shown[0]) +
        " · zoom " + Math.round(state.zoom * 100) + "%";
      root.setAttribute("data-index", String(state.index + 1));
      root.setAttribute("data-window", state.window ? state.window.map(Math.round).join(",") : "default");
      preload();
    }

    function load(url) {
      loading = true;
      image.src = url;
    }

    function loaded() {
      loading = false;
      shownWindow = windows[image.getAttribute("src")] || null;
      preview();
      root.setAttribute("data-loaded", image.getAttribute("src"));
      if (pending && pending !== image.getAttribute("src")) {
        var next = pending; pending = null; load(next);
      } else { pending = null; }
    }
    image.addEventListener("load", loaded);
    image.addEventListener("error", function () {
      loading = false;
      status.textContent = "This image could not be shown. Try another image or reload the page.";
    });

    function preload() {
      if (state.window) { return; }
      var series = current();
      for (var step = 1; step <= 3; step += 1) {
        [state.index + step, state.index - step].forEach(function (i) {
          if (i < 0 || i >= series.frames.length) { return; }
          var url = frameUrl(series, i, null);
          if (!preloaded[url]) { preloaded[url] = new Image(); preloaded[url].src = url; }
        });
      }
    }

    function goTo(index) {
      var last = current().frames.length - 1;
      var clamped = Math.max(0, Math.min(last, index));
      if (clamped !== state.index) { state.index = clamped; show(); }
    }

    function place() {
      image.style.transform = "translate(" + state.x + "px," + state.y + "px) scale(" + state.zoom + ")";
    }

    function zoomBy(factor) {
      state.zoom = Math.max(0.25, Math.min(8, state.zoom * factor));
      place(); show();
    }

    function resetView() { state.zoom = 1; state.x = 0; state.y = 0; place(); show(); }

    function setWindow(pair) { state.window = pair; show(); }

    function pressOnly(selector, chosen) {
      root.querySelectorAll(selector).forEach(function (button) {
        button.setAttribute("aria-pressed", button === chosen ? "true" : "false");
      });
    }

    function chooseSeries(index) {
      state.series = index; state.index = 0; state.window = null;
      pressOnly(".series-button", root.querySelector('[data-series="' + index + '"]'));
      resetView();
    }

    root.querySelectorAll(".series-button").forEach(function (button) {
      button.addEventListener("click", function () { chooseSeries(Number(button.getAttribute("data-series"))); });
    });
    root.querySelectorAll(".tool").forEach(function (button) {
      button.addEventListener("click", function () {
        state.tool = button.getAttribute("data-tool"); pressOnly(".tool", button);
      });
    });
    root.querySelectorAll(".preset").forEach(function (button) {
      button.addEventListener("click", function () {
        var value = button.getAttribute("data-preset");
        setWindow(value === "default" ? null : value.split(",").map(Number));
      });
    });
    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "reset") { resetView(); } else { zoomBy(how === "in" ? 1.25 : 0.8); }
      });
    });
    slider.addEventListener("input", function () { goTo(Number(slider.value) - 1); });

    viewport.addEventListener("wheel", function (event) {
      event.preventDefault();
      if (event.ctrlKey) { zoomBy(event.deltaY < 0 ? 1.1 : 0.9); return; }
      goTo(state.index + (event.deltaY > 0 ? 1 : -1));
    }, { passive: false });

    viewport.addEventListener("keydown", function (event) {
      var moves = { ArrowDown: 1, ArrowRight: 1, PageDown: 10, ArrowUp: -1, ArrowLeft: -1, PageUp: -10 };
      if (event.key in moves) { goTo(state.index + moves[event.key]); }
      else if (event.key === "Home") { goTo(0); }
      else if (event.key === "End") { goTo(current().frames.length - 1); }
      else if (event.key === "+" || event.key === "=") { zoomBy(1.25); }
      else if (event.key === "-") { zoomBy(0.8); }
      else if (event.key === "0") { resetView(); }
      else { return; }
      event.preventDefault();
    });

    function distance() {
      var points = Array.from(pointers.values());
      return Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y);
    }

    viewport.addEventListener("pointerdown", function (event) {
      viewport.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        gesture = { kind: "pinch", distance: distance(), zoom: state.zoom };
      } else {
        gesture = { kind: state.tool, x: event.clientX, y: event.clientY, index: state.index,
                    window: (state.window || current().window).slice(), panX: state.x, panY: state.y };
      }
    });

    viewport.addEventListener("pointermove", function (event) {
      if (!pointers.has(event.pointerId) || !gesture) { return; }
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (gesture.kind === "pinch" && pointers.size === 2) {
        state.zoom = Math.max(0.25, Math.min(8, gesture.zoom * distance() / gesture.distance));
        place(); return;
      }
      var dx = event.clientX - gesture.x;
      var dy = event.clientY - gesture.y;
      if (gesture.kind === "scroll") {
        goTo(gesture.index + Math.round(dy / 8));
      } else if (gesture.kind === "window") {
        var scale = Math.max(1, gesture.window[1] / 200);
        setWindow([gesture.window[0] + dy * scale, Math.max(1, gesture.window[1] + dx * scale)]);
      } else if (gesture.kind === "pan") {
        state.x = gesture.panX + dx; state.y = gesture.panY + dy; place();
      }
    });

    function release(event) {
      pointers.delete(event.pointerId);
      if (pointers.size === 0) { gesture = null; }
    }
    viewport.addEventListener("pointerup", release);
    viewport.addEventListener("pointercancel", release);

    chooseSeries(data.start || 0);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
}());
