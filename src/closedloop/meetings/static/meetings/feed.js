// The live feed: new items arrive as server-sent events and are put on top of the list.
// EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed in between.
(function () {
  "use strict";
  var list = document.getElementById("feed");
  var status = document.getElementById("feed-status");
  if (!list || !window.EventSource) { return; }
  var source = new EventSource(list.dataset.stream);
  source.onopen = function () { status.textContent = "live"; };
  source.onerror = function () { status.textContent = "reconnecting…"; };
  source.addEventListener("feed", function (event) {
    var item = JSON.parse(event.data);
    if (document.getElementById("item-" + item.id)) { return; }
    var empty = document.getElementById("feed-empty");
    if (empty) { empty.remove(); }
    var li = document.createElement("li");
    li.className = "card feed-item feed-" + item.kind + " feed-new";
    li.id = "item-" + item.id;
    var head = document.createElement("header");
    var chip = document.createElement("span");
    chip.className = "chip";
    chip.textContent = item.kind_label;
    var title = document.createElement("strong");
    title.className = "feed-title";
    title.textContent = " " + item.title;
    var who = document.createElement("span");
    who.className = "muted small";
    who.textContent = " " + item.author + " · just now — reload to react or comment";
    head.append(chip, title, who);
    li.append(head);
    if (item.body) { var p = document.createElement("p"); p.textContent = item.body; li.append(p); }
    list.prepend(li);
  });
})();
