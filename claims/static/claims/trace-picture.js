/* The claim page's picture of its attribution graph (templates/admin/claims/claim/trace.html).

The server writes what is drawn: a node per statement (its source's full name, a link to the
source), an edge per hop (data-from, data-to, data-chains: the listed chains it is a hop of) and
the chains in order (#trace-graph-chains, JSON). This script wraps the names, lays the graph
out with ELK's layered algorithm (claims/vendor/elkjs-VERSION/elk.bundled.js: edges routed apart,
labels placed on their edges) and picks out one chain at a time: hovering or focusing a source
shows the first chain through it, hovering a hop the first chain along it, a click on a hop keeps
its chain (a second click the next one along it), Escape or a click elsewhere lets it go.

It fits the picture to the width it has: top to bottom (reporting ends above their origins) when
that fits, else left to right, else the narrower of the two scaled down (never below MIN_SCALE:
past that the figure scrolls). Only textContent and attributes are written: no markup is built
from the data. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var NODE_W = 136; // px; names wrap inside
  var PAD_X = 8;
  var LINE_H = 15;
  var ROLE_H = 14;
  var PAD_Y = 7;
  var LABEL_PAD = 2;
  var MIN_SCALE = 0.6;

  var figure = document.getElementById("trace-graph");
  if (!figure || typeof ELK === "undefined") return;
  var svg = figure.querySelector("svg.trace-picture");
  var caption = figure.querySelector(".trace-chain-caption");
  var chains = JSON.parse(document.getElementById("trace-graph-chains").textContent);

  var nodes = {}; // statement id -> {el, id, name, w, h}
  var nodeList = [];
  figure.querySelectorAll("g.node").forEach(function (el) {
    var node = { el: el, id: el.getAttribute("data-statement"), name: el.querySelector("text.name").textContent };
    nodes[node.id] = node;
    nodeList.push(node);
  });
  var edges = {}; // edge id -> {el, path, hit, label, id, from, to, chains}
  var edgeList = [];
  figure.querySelectorAll("g.edge").forEach(function (el) {
    var path = el.querySelector("path");
    var edge = {
      el: el,
      path: path,
      hit: el.querySelector("polyline.hit"),
      label: el.querySelector("text.label"),
      id: path.getAttribute("data-edge"),
      from: path.getAttribute("data-from"),
      to: path.getAttribute("data-to"),
      chains: (path.getAttribute("data-chains") || "").split(" ").filter(Boolean).map(Number),
    };
    edges[edge.id] = edge;
    edgeList.push(edge);
  });

  // --- names wrapped to the node's width, measured in the page's own font --------------

  function wrap(text, measure, width) {
    var lines = [];
    var line = "";
    text.split(/\s+/).filter(Boolean).forEach(function (word) {
      var candidate = line ? line + " " + word : word;
      if (!line || measure(candidate) <= width) {
        line = candidate;
      } else {
        lines.push(line);
        line = word;
      }
      // A word wider than the node on its own: cut it where it reaches the edge.
      while (measure(line) > width && line.length > 1) {
        var cut = line.length - 1;
        while (cut > 1 && measure(line.slice(0, cut)) > width) cut--;
        lines.push(line.slice(0, cut));
        line = line.slice(cut);
      }
    });
    if (line) lines.push(line);
    return lines;
  }

  function measurer(textEl) {
    var cache = {};
    return function (s) {
      if (!(s in cache)) {
        textEl.textContent = s;
        cache[s] = textEl.getComputedTextLength();
      }
      return cache[s];
    };
  }

  nodeList.forEach(function (node) {
    var nameEl = node.el.querySelector("text.name");
    var lines = wrap(node.name, measurer(nameEl), NODE_W - 2 * PAD_X);
    nameEl.textContent = "";
    lines.forEach(function (line, i) {
      var tspan = document.createElementNS(SVG, "tspan");
      tspan.setAttribute("x", PAD_X);
      tspan.setAttribute("y", PAD_Y + 11 + i * LINE_H);
      tspan.textContent = line;
      nameEl.appendChild(tspan);
    });
    node.w = NODE_W;
    node.h = PAD_Y + lines.length * LINE_H + ROLE_H + PAD_Y;
    var role = node.el.querySelector("text.role");
    role.setAttribute("x", PAD_X);
    role.setAttribute("y", node.h - PAD_Y - 2);
    var rect = node.el.querySelector("rect");
    rect.setAttribute("width", node.w);
    rect.setAttribute("height", node.h);
  });
  edgeList.forEach(function (edge) {
    edge.labelW = Math.ceil(edge.label.getComputedTextLength()) + 2 * LABEL_PAD;
    edge.labelH = 14;
  });

  // --- the layout ---------------------------------------------------------------------------

  function elkGraph(direction) {
    return {
      id: "claim",
      layoutOptions: {
        "elk.algorithm": "layered",
        "elk.direction": direction,
        "elk.edgeRouting": "ORTHOGONAL",
        "elk.edgeLabels.inline": "true",
        "elk.spacing.nodeNode": "14",
        "elk.spacing.edgeEdge": "8",
        "elk.spacing.edgeNode": "10",
        "elk.spacing.edgeLabel": "1",
        "elk.layered.spacing.nodeNodeBetweenLayers": "18",
        "elk.layered.spacing.edgeNodeBetweenLayers": "10",
        "elk.layered.spacing.edgeEdgeBetweenLayers": "8",
        "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
        // Keep the server's order (by column, then as recorded) where crossings allow.
        "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
        "elk.padding": "[top=4,left=4,bottom=4,right=4]",
      },
      children: nodeList.map(function (node) {
        return { id: "n" + node.id, width: node.w, height: node.h };
      }),
      edges: edgeList.map(function (edge) {
        return {
          id: "e" + edge.id,
          sources: ["n" + edge.from],
          targets: ["n" + edge.to],
          labels: [{ id: "l" + edge.id, text: edge.label.textContent, width: edge.labelW, height: edge.labelH }],
        };
      }),
    };
  }

  function points(section) {
    return [section.startPoint].concat(section.bendPoints || [], [section.endPoint]);
  }

  function draw(layout, direction, scale) {
    layout.children.forEach(function (child) {
      nodes[child.id.slice(1)].el.setAttribute("transform", "translate(" + child.x + "," + child.y + ")");
    });
    layout.edges.forEach(function (laid) {
      var edge = edges[laid.id.slice(1)];
      var pts = [];
      (laid.sections || []).forEach(function (section) {
        pts = pts.concat(points(section));
      });
      edge.path.setAttribute(
        "d",
        pts
          .map(function (p, i) {
            return (i ? "L" : "M") + p.x + "," + p.y;
          })
          .join(" ")
      );
      edge.hit.setAttribute(
        "points",
        pts
          .map(function (p) {
            return p.x + "," + p.y;
          })
          .join(" ")
      );
      var label = (laid.labels || [])[0];
      if (label) {
        edge.label.setAttribute("x", label.x + label.width / 2);
        edge.label.setAttribute("y", label.y + label.height - 3);
      }
    });
    var width = Math.ceil(layout.width);
    var height = Math.ceil(layout.height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", Math.floor(width * scale));
    svg.setAttribute("height", Math.floor(height * scale));
    figure.setAttribute("data-direction", direction);
    figure.setAttribute("data-scale", scale.toFixed(2));
    svg.classList.add("laid-out");
    figure.classList.add("drawn");
  }

  function available() {
    return Math.max(200, figure.clientWidth - 2);
  }

  var elk = new ELK();
  function layOut() {
    var room = available();
    var started = performance.now();
    return elk
      .layout(elkGraph("DOWN"))
      .then(function (down) {
        if (down.width <= room) return draw(down, "down", 1);
        return elk.layout(elkGraph("RIGHT")).then(function (right) {
          if (right.width <= room) return draw(right, "right", 1);
          var best = right.width <= down.width ? [right, "right"] : [down, "down"];
          draw(best[0], best[1], Math.max(MIN_SCALE, room / best[0].width));
        });
      })
      .then(function () {
        figure.setAttribute("data-layout-ms", Math.round(performance.now() - started));
      });
  }

  // --- one chain at a time --------------------------------------------------------------

  var chainsOf = {}; // statement id -> the chains through it, first listed first
  edgeList.forEach(function (edge) {
    [edge.from, edge.to].forEach(function (id) {
      chainsOf[id] = (chainsOf[id] || []).concat(edge.chains);
    });
  });
  Object.keys(chainsOf).forEach(function (id) {
    chainsOf[id] = chainsOf[id]
      .filter(function (c, i, all) {
        return all.indexOf(c) === i;
      })
      .sort(function (a, b) {
        return a - b;
      });
  });

  var pinned = null; // {edge, chain}

  function show(chain) {
    var on = {};
    var named = [];
    if (chain !== null && chains[chain]) {
      chains[chain].forEach(function (edgeId) {
        var edge = edges[String(edgeId)];
        if (!edge) return;
        on[edge.id] = true;
        if (!named.length) named.push(nodes[edge.from].name);
        named.push(nodes[edge.to].name);
      });
    }
    var onNodes = {};
    edgeList.forEach(function (edge) {
      var lit = !!on[edge.id];
      edge.el.classList.toggle("in-chain", lit);
      if (lit) onNodes[edge.from] = onNodes[edge.to] = true;
    });
    nodeList.forEach(function (node) {
      node.el.classList.toggle("in-chain", !!onNodes[node.id]);
    });
    svg.classList.toggle("picking", named.length > 0);
    if (named.length) {
      svg.setAttribute("data-chain", chain);
      caption.textContent = "Chain " + (chain + 1) + " of " + chains.length + ": " + named.join(" → ");
    } else {
      svg.removeAttribute("data-chain");
      caption.textContent = "";
    }
  }

  function settle() {
    show(pinned ? pinned.chain : null);
  }

  nodeList.forEach(function (node) {
    var first = function () {
      if (!pinned) show((chainsOf[node.id] || [null])[0]);
    };
    node.el.addEventListener("mouseenter", first);
    node.el.addEventListener("focusin", first);
    node.el.addEventListener("mouseleave", settle);
    node.el.addEventListener("focusout", settle);
  });
  edgeList.forEach(function (edge) {
    edge.el.addEventListener("mouseenter", function () {
      if (!pinned && edge.chains.length) show(edge.chains[0]);
    });
    edge.el.addEventListener("mouseleave", settle);
    edge.el.addEventListener("click", function (event) {
      event.stopPropagation();
      if (!edge.chains.length) return;
      var next = edge.chains[0];
      if (pinned && pinned.edge === edge) {
        next = edge.chains[(edge.chains.indexOf(pinned.chain) + 1) % edge.chains.length];
      }
      pinned = { edge: edge, chain: next };
      show(next);
    });
  });
  svg.addEventListener("click", function () {
    pinned = null;
    show(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && pinned) {
      pinned = null;
      show(null);
    }
  });

  layOut().catch(function (error) {
    figure.classList.add("failed");
    caption.textContent = "The picture could not be drawn; the tree below lists the chains.";
    if (window.console) window.console.error(error);
  });

  // Laid out again when the room it has changes (a window resized, the admin's sidebar toggled).
  var lastRoom = available();
  var timer = null;
  function roomChanged() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (Math.abs(available() - lastRoom) > 20) {
        lastRoom = available();
        layOut();
      }
    }, 150);
  }
  if (window.ResizeObserver) new ResizeObserver(roomChanged).observe(figure);
  else window.addEventListener("resize", roomChanged);
})();
