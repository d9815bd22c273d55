/* A quiz with a time limit (dangjian/education/views.py, attempt): shows the time left and submits the answers when
   it is up; the server takes a submission up to a minute late and grades unanswered questions as wrong then.
   Without JavaScript the page still works: the deadline is printed beside the questions. */
(function () {
  "use strict";
  var summary = document.querySelector(".edu-error-summary");
  if (summary) { summary.focus(); }
  var timer = document.querySelector(".edu-timer[data-deadline]");
  var form = document.querySelector("form.edu-quiz");
  if (!timer || !form) { return; }
  var deadline = 1000 * parseInt(timer.getAttribute("data-deadline"), 10);
  var label = timer.getAttribute("data-label") || "";
  var sent = false;
  form.addEventListener("submit", function () { sent = true; });
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    timer.textContent = label + " " + Math.floor(left / 60) + ":" + pad(left % 60);
    if (left === 0 && !sent) { sent = true; form.submit(); return; }
    if (left > 0) { window.setTimeout(tick, 1000); }
  }
  tick();
})();
