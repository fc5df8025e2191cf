/**
 * The smallest `Reflect` metadata API that @peculiar/x509 needs. Its dependency
 * tsyringe refuses to load without a Reflect metadata polyfill, and none is installed;
 * the library only stores and reads constructor parameter types through it. A real
 * polyfill (reflect-metadata), when loaded first, is left in place.
 *
 * Import this module before '@peculiar/x509'; `./x509.ts` does, and is the only module
 * that may import the library.
 */
type Key = unknown;
type MetadataTarget = object;

const store = new WeakMap<MetadataTarget, Map<Key, unknown>>();

function ownMap(target: MetadataTarget, create: boolean): Map<Key, unknown> | undefined {
  let map = store.get(target);
  if (map === undefined && create) {
    map = new Map();
    store.set(target, map);
  }
  return map;
}

function getOwnMetadata(key: Key, target: MetadataTarget): unknown {
  return ownMap(target, false)?.get(key);
}

function getMetadata(key: Key, target: MetadataTarget): unknown {
  for (let t: MetadataTarget | null = target; t !== null; t = Object.getPrototypeOf(t) as MetadataTarget | null) {
    const map = ownMap(t, false);
    if (map?.has(key)) return map.get(key);
  }
  return undefined;
}

function defineMetadata(key: Key, value: unknown, target: MetadataTarget): void {
  ownMap(target, true)?.set(key, value);
}

function metadata(key: Key, value: unknown): (target: MetadataTarget) => void {
  return (target) => defineMetadata(key, value, target);
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  Object.assign(reflect, { getMetadata, getOwnMetadata, defineMetadata, metadata });
}
