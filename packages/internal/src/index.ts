// Private helpers shared by the @pmoves packages; bundled into each (tsup `noExternal`), never
// published on its own.
export * from './env';
export * from './zod';
export * from './brand';
export * from './jellyfin';
export * from './ffmpeg';
