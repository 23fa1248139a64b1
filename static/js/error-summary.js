/*
 * After a refused submit, move focus to the "There is a problem" summary (templates/includes/
 * error_summary.html), so keyboard and screen-reader users land on what went wrong instead of at
 * the top of a reloaded page; its links then take focus to the field they name.
 * Progressive: without JavaScript the summary is still first in the form and announced (role=alert).
 */
(function () {
  "use strict";

  function focusTarget(id) {
    var target = document.getElementById(id);
    if (!target) return false;
    // A group (radio buttons, the slot list) takes focus on its first control.
    if (!target.matches("input, select, textarea, button, a[href]")) {
      target = target.querySelector("input:not([type=hidden]), select, textarea, button") || target;
      if (!target.hasAttribute("tabindex") && !target.matches("input, select, textarea, button")) {
        target.setAttribute("tabindex", "-1");
      }
    }
    target.focus();
    return true;
  }

  function init() {
    var summary = document.querySelector(".error-summary");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (link && focusTarget(link.getAttribute("href").slice(1))) {
        event.preventDefault();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
