/* Learning record heartbeats (dangjian/education/learning.py): every data-beat seconds (30) while the page is visible and in use;
   for a video or audio lecture only while it plays. The server credits at most the time since the last beat. */
(function () {
  "use strict";
  var el = document.querySelector("[data-study-url]");
  if (!el) { return; }
  var url = el.getAttribute("data-study-url");
  var token = el.getAttribute("data-csrf");
  var player = document.querySelector(".edu-player");
  var lastInput = Date.now();
  var BEAT = 1000 * (parseInt(el.getAttribute("data-beat"), 10) || 30), IDLE = 120000;
  ["scroll", "keydown", "mousemove", "touchstart", "click"].forEach(function (name) {
    window.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true });
  });
  function active() {
    if (document.visibilityState !== "visible") { return false; }
    if (player) { return !player.paused && !player.ended; }
    return Date.now() - lastInput < IDLE;
  }
  var lastBeat = 0;
  function beat(seconds) {
    lastBeat = Date.now();
    var body = new URLSearchParams({ seconds: String(seconds) });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token } });
  }
  var running = false;
  function tick() {
    if (active()) { beat(running ? BEAT / 1000 : 0); running = true; } else { running = false; }
  }
  if (player) {
    player.addEventListener("play", function () { if (!running) { beat(0); running = true; } });
    // Pausing (and the end, which pauses) credits the part of the interval played since the last beat.
    player.addEventListener("pause", function () {
      if (running) { beat(Math.round((Date.now() - lastBeat) / 1000)); running = false; }
    });
  }
  else { beat(0); running = true; }
  window.setInterval(tick, BEAT);
}());
