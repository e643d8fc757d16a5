// Reports how long the shared page has been visible, so the rep sees time spent, not just opens.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-beacon");
  var view = body.getAttribute("data-view");
  if (!url || !view) return;
  var seconds = 0;
  var lastSent = -1;
  setInterval(function () {
    if (document.visibilityState === "visible") seconds += 1;
  }, 1000);
  function send() {
    if (seconds === lastSent) return;
    lastSent = seconds;
    var data = JSON.stringify({ view: view, seconds: seconds });
    if (navigator.sendBeacon) {
      navigator.sendBeacon(url, data);
    } else {
      fetch(url, { method: "POST", body: data, keepalive: true });
    }
  }
  setInterval(send, 5000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send();
  });
  window.addEventListener("pagehide", send);
})();
