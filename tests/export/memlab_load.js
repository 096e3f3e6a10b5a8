// Loads a .heapsnapshot with memlab's own loader (@memlab/heap-analysis getFullHeapFromFile:
// memlab's parser, then its shortest paths, dominators and retained sizes) and writes what the
// tests compare to atoll, as JSON, to OUT.
//   node memlab_load.js MEMLAB_DIR SNAPSHOT OUT [full]
// OUT: node and edge counts, synthetic nodes by name with their edge counts, retained sizes and
// first 10 references,
// the count of weak edges, the shortcut edges (from a named root: its name and the target's
// id), the 100 largest retained sizes of block nodes, and with "full" every block node's id, name,
// self size, retained size, dominator's id, references ([type, name or index, target id]) and
// allocation stack (read back from trace_tree and trace_function_infos through the node's
// trace_node_id, innermost frame first).
'use strict';
const path = require('path');
const fs = require('fs');

const [memlabDir, file, out, mode] = process.argv.slice(2);
const {getFullHeapFromFile} =
  require(path.join(memlabDir, 'node_modules', '@memlab', 'heap-analysis'));

// trace node id -> [function info index, parent id]
function traceParents(tree) {
  const parents = new Map();
  const walk = (arr, parent) => {
    for (let i = 0; i < arr.length; i += 5) {
      parents.set(arr[i], [arr[i + 1], parent]);
      walk(arr[i + 4], arr[i]);
    }
  };
  walk(tree, 0);
  return parents;
}

function stackOf(raw, parents, id) {
  const frames = [];
  const infos = raw.trace_function_infos;
  for (let t = id; t && parents.has(t);) {
    const [fn, parent] = parents.get(t);
    if (parent === 0)
      break;                    // the "(root)" node
    frames.push([raw.strings[infos[fn * 6 + 1]], raw.strings[infos[fn * 6 + 2]],
                 infos[fn * 6 + 4]]);
    t = parent;
  }
  return frames;
}

(async () => {
  const heap = await getFullHeapFromFile(file);
  const raw = heap.snapshot;
  const result = {nodes: heap.nodes.length, edges: heap.edges.length, synthetic: [], weak: 0,
                  shortcut: [], top: [], blocks: []};
  heap.edges.forEach(e => {
    if (e.type === 'weak')
      result.weak++;
    else if (e.type === 'shortcut')
      result.shortcut.push([e.fromNode.name, e.toNode.id]);
  });
  const sizes = [];
  const parents = mode === 'full' ? traceParents(raw.trace_tree) : null;
  heap.nodes.forEach(n => {
    if (n.type === 'synthetic') {
      result.synthetic.push([n.name, n.edge_count, n.retainedSize,
                             n.references.slice(0, 10).map(e => [e.type, e.name_or_index,
                                                                 e.toNode.id])]);
      return;
    }
    sizes.push([n.retainedSize, n.id]);
    if (parents)
      result.blocks.push({id: n.id, name: n.name, type: n.type, self: n.self_size,
                          retained: n.retainedSize, dominator: n.dominatorNode.id,
                          stack: stackOf(raw, parents, n.trace_node_id),
                          refs: n.references.map(e => [e.type, e.name_or_index, e.toNode.id])});
  });
  sizes.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  result.top = sizes.slice(0, 100);
  fs.writeFileSync(out, JSON.stringify(result));
})().catch(e => { console.error('memlab_load.js: ' + (e.stack || e)); process.exit(1); });
