// Choosing in a select marked data-submit-on-change sends its form at once (the page's
// Content-Security-Policy allows no inline handlers, so the behaviour lives here).
(function () {
  "use strict";
  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-submit-on-change]");
    if (select && select.form) select.form.requestSubmit();
  });
})();
