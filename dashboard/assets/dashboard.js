// The dashboard's one script. Every page works without it; it adds:
// - live updates of an open release page: an EventSource on the release's event stream
//   says which version the release is at; when it is not the one shown, the script
//   fetches the page's changing part (If-None-Match) and swaps it in, keeping whatever
//   was typed into its fields and the focus.
"use strict";

(function () {
  // How long to wait before listening again after the server refused or ended a stream.
  const RETRY_MS = 2000;

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
    const events = live.getAttribute("data-events");
    let version = live.getAttribute("data-version");
    let busy = false;
    let again = false;

    async function refresh() {
      if (busy) {
        again = true;
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
            const back = document.getElementById(focused);
            if (back) {
              back.focus();
            }
          }
          version = (answer.headers.get("ETag") || "").replace(/"/g, "") || version;
          live.setAttribute("data-version", version);
        } else if (answer.status === 401) {
          window.location.assign("/signin");
        }
      } catch (_) {
        // The server is away for a moment: the stream reconnects and says again.
      } finally {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      }
    }

    function listen() {
      const source = new EventSource(events);
      source.addEventListener("release", function (event) {
        if (event.data !== version) {
          refresh();
        }
      });
      source.addEventListener("error", function () {
        // A dropped connection is retried by the EventSource itself; a refused one
        // (the session ended, the server is full) closes it: see where the page
        // stands, then listen again.
        if (source.readyState === EventSource.CLOSED) {
          refresh();
          window.setTimeout(listen, RETRY_MS);
        }
      });
    }
    listen();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const live = document.getElementById("live");
    if (live) {
      follow(live);
    }
  });
})();
