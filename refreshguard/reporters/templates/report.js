// Filters for the refreshguard HTML report. Runs from the file itself: no server, no network.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll("#cards .card"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-filter]"));
  var search = document.getElementById("f-name");
  var shown = document.getElementById("shown-count");
  var none = document.getElementById("none-shown");

  function apply() {
    var active = { outcome: {}, kind: {} };
    boxes.forEach(function (box) {
      if (box.checked) {
        active[box.getAttribute("data-filter")][box.value] = true;
      }
    });
    var query = search ? search.value.trim().toLowerCase() : "";
    var count = 0;
    cards.forEach(function (card) {
      var visible =
        active.outcome[card.getAttribute("data-outcome")] === true &&
        active.kind[card.getAttribute("data-kind")] === true &&
        (query === "" || card.getAttribute("data-name").indexOf(query) !== -1);
      card.hidden = !visible;
      if (visible) {
        count += 1;
      }
    });
    shown.textContent = String(count);
    none.hidden = count !== 0 || cards.length === 0;
  }

  boxes.forEach(function (box) {
    box.addEventListener("change", apply);
  });
  if (search) {
    search.addEventListener("input", apply);
  }
  document.documentElement.classList.add("js");
  apply();
})();
