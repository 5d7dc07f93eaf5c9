/* Behaviour that used to sit in inline event handlers (blocked by the Content-Security-Policy).
 *   data-confirm="问题"      on a button or link: asks before submitting / following it
 *   data-navigate="/url?x="  on a select: goes to that URL + the chosen value when it changes
 */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-navigate]") && el.value) {
      window.location = el.getAttribute("data-navigate") + encodeURIComponent(el.value);
    }
  });
})();
