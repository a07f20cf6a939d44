// Loaded by tests/report_browser.sh into a copy of a platsa report: writes what loaded and
// what the page says into <pre id="platsa-probe"> after 'load'.
window.addEventListener("load", function () {
  var im = document.images, bad = 0;
  for (var i = 0; i < im.length; i++)
    if (!im[i].complete || im[i].naturalWidth === 0) bad++;
  // Shares quoted in the summary paragraphs ("0,3 %") must be cells of the page's tables.
  var cells = [];
  document.querySelectorAll("td, th").forEach(function (c) { cells.push(c.textContent); });
  var paras = document.querySelectorAll("p.summary"), shares = 0, unmatched = 0;
  paras.forEach(function (p) {
    (p.textContent.match(/\d[\d\u00a0]*(,\d+)?\u00a0%/g) || []).forEach(function (s) {
      shares++;
      if (!cells.some(function (c) { return c.indexOf(s) >= 0; })) unmatched++;
    });
  });
  // Total rows of the "Befolkning över X min" columns against the sum of the kommun rows.
  var sums = 0, badsum = 0;
  var num = function (t) { return parseFloat(t.replace(/[\s\u00a0]/g, "").replace(",", ".")); };
  document.querySelectorAll("table").forEach(function (t) {
    var heads = t.querySelectorAll("thead th"), col = -1;
    heads.forEach(function (h, i) { if (col < 0 && h.classList.contains("goal")) col = i; });
    var foot = t.querySelector("tfoot tr");
    if (col < 0 || !foot) return;
    var rows = t.querySelectorAll("tbody tr"), sum = 0;
    rows.forEach(function (r) { sum += num(r.children[col].textContent); });
    sums++;
    if (Math.abs(sum - num(foot.children[col].textContent)) > rows.length / 2 + 0.5) badsum++;
  });
  // A page with the access summary table must have its paragraph and its beyond columns.
  var needs = document.querySelector("table.summary") ? 1 : 0;
  var d = document.createElement("pre");
  d.id = "platsa-probe";
  d.textContent = "images=" + im.length + " broken=" + bad + " height=" + document.documentElement.scrollHeight +
    " summaries=" + paras.length + " shares=" + shares + " unmatched=" + unmatched + " sums=" + sums +
    " badsum=" + badsum + " needs=" + needs;
  document.body.appendChild(d);
});
