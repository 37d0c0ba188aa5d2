/** A stand-in for a module that loads it on first use (provider/preload.ts). */

/**
 * An object that is `load()`'s result in every way, loaded when first looked into. With `esModule`, it says it is
 * an ES module without loading, so TypeScript's `__importStar` passes it through as it is (instead of copying every
 * export at once); the importer then sees the module's own exports but no added `default`.
 */
export function deferred(load: () => object, opts: { readonly esModule?: boolean } = {}): object {
  let loaded: object | undefined;
  const target = (): object => (loaded ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => (opts.esModule && key === "__esModule" ? true : Reflect.get(target(), key)),
      has: (_, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const found = Reflect.getOwnPropertyDescriptor(target(), key);
        return found && { ...found, configurable: true };
      },
    },
  );
}
