// The quick exit: go through /exit (which signs out and sends on to the node's neutral page),
// replacing this page in the history so Back does not bring it back. Escape pressed twice
// within a second leaves too. Without script the link still leaves (as an ordinary link),
// and /exit's marker turns Back into the neutral page again.
(function () {
  "use strict";
  var lastEscape = 0;
  function leave(event) {
    var link = document.getElementById("quick-exit");
    if (!link) return;
    if (event) event.preventDefault();
    document.documentElement.style.visibility = "hidden";
    window.location.replace(link.href);
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("#quick-exit")) leave(event);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1000) leave(event);
    lastEscape = now;
  });
})();
