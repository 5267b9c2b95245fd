// The dashboard's one script. Every page works without it; it adds:
// - live updates of an open release page: it asks for the page's changing part with
//   the version it shows (If-None-Match) and swaps it in when the release moved,
//   keeping whatever was typed into its fields;
"use strict";

(function () {
  const POLL_MS = 1000;

  function keepTyped(from, to) {
    from.querySelectorAll("input[id], textarea[id]").forEach(function (old) {
      if (old.type === "hidden" || old.value === old.defaultValue) {
        return;
      }
      const fresh = to.querySelector("#" + CSS.escape(old.id));
      if (fresh && fresh.type !== "hidden") {
        fresh.value = old.value;
      }
    });
  }

  function follow(live) {
    const url = live.getAttribute("data-live");
    let version = live.getAttribute("data-version");
    let busy = false;
    async function poll() {
      if (busy || document.hidden) {
        return;
      }
      busy = true;
      try {
        const answer = await fetch(url, {
          headers: { "If-None-Match": '"' + version + '"' },
          credentials: "same-origin",
          cache: "no-store",
        });
        if (answer.status === 200) {
          const html = await answer.text();
          const next = document.createElement("div");
          next.innerHTML = html;
          keepTyped(live, next);
          const focused = document.activeElement && document.activeElement.id;
          live.replaceChildren(...next.childNodes);
          if (focused) {
            const again = document.getElementById(focused);
            if (again) {
              again.focus();
            }
          }
          version = (answer.headers.get("ETag") || "").replace(/"/g, "") || version;
          live.setAttribute("data-version", version);
        } else if (answer.status === 401) {
          window.location.assign("/signin");
        }
      } catch (_) {
        // The server is away for a moment: the next poll tries again.
      } finally {
        busy = false;
      }
    }
    window.setInterval(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const live = document.getElementById("live");
    if (live) {
      follow(live);
    }
  });
})();
