// newsdesk: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var q = document.querySelector(".search-form--main #q");
    if (q && document.activeElement !== q && !window.location.hash) {
      q.focus();
      var end = q.value.length;
      try { q.setSelectionRange(end, end); } catch (e) { /* type=search may refuse */ }
    }
    var sort = document.getElementById("sort");
    if (sort && sort.form) {
      sort.addEventListener("change", function () { sort.form.submit(); });
    }
  });
})();
