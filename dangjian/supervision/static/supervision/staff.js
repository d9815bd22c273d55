/* Staff forms of the supervision supermarket: move the focus to the error summary, so a screen reader reads it
   first and a keyboard user starts from its links to the fields (WCAG 3.3.1, 2.4.3). */
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".sv-error-summary");
  if (summary) { summary.focus(); }
});
