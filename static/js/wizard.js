// Warn before leaving a wizard step whose form has changes that are not saved.
(function () {
  "use strict";
  let dirty = false;
  const warning = () => {
    const template = document.getElementById("unsaved-warning");
    return template ? template.content.textContent.trim() : "";
  };
  const setDirty = (value) => {
    dirty = value;
    const banner = document.querySelector(".unsaved-banner");
    if (banner) banner.hidden = !value;
  };
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-warn-unsaved]").forEach((form) => {
      form.addEventListener("input", () => setDirty(true));
      form.addEventListener("change", () => setDirty(true));
      form.addEventListener("submit", () => setDirty(false));
    });
  });
  // Links inside the page ask first, so the choice is the same in every browser.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!dirty || !link || link.target === "_blank" || link.hasAttribute("download")) return;
    if (window.confirm(warning())) {
      setDirty(false);
    } else {
      event.preventDefault();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = warning();
  });
})();
