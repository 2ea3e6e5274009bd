// The review page's "tick every pending one": ticks or unticks each proposal's box.
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("tick-all")?.addEventListener("change", (event) => {
    document.querySelectorAll("input.tick").forEach((box) => { box.checked = event.target.checked; });
  });
});
