/**
 * The engine floor's provider (bench/floor.cjs): the same shape of dynamic
 * provider as dist/provider/index.js (`stub(kind)` returns the kind's
 * methods, configure() takes the provider resource's config), answering at
 * once: no host, no SSH. read() returns what is stored, diff() compares the
 * one property the floor changes, create()/update() echo the inputs.
 */
"use strict";

exports.stub = (kind) => ({
  async configure() {},
  async read(id, props) {
    return { id, props };
  },
  async diff(_id, olds, news) {
    return { changes: olds.value !== news.value, replaces: [] };
  },
  async create(inputs) {
    return { id: `${kind}:${inputs.name}`, outs: inputs };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
  async delete() {},
});
