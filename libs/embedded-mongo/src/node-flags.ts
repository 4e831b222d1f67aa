/**
 * V8 flags the server's process should be started with. The server keeps every document as JavaScript objects, so
 * its heap grows with the data; with the default 16 MB semi-spaces, the short-lived objects of each command (decoded
 * BSON, copies, replies) overflow the young generation and are promoted, and the old generation then pays for them in
 * mark-compact cycles that scan the whole data set. Semi-spaces of 64 MB keep them young: at 600 000 stored
 * documents of about 1 KB, server CPU per find + replace fell from 206 to 107 µs and a bulk load took 38 % less CPU.
 * With a million documents held, each scavenge with 64 MB semi-spaces took 11-13 ms (the stored data's
 * references into it are its roots): 128 MB semi-spaces halve how many there are (a young generation of up to 384 MB,
 * grown only under allocation pressure). 50 000 profiles written in slices of 1 000
 * beside a million stored documents: 149 -> 84 µs of server CPU per insert, 156 -> 107 per guarded upsert (256 MB:
 * 100 per insert, each scavenge grows again).
 */
export const EMBEDDED_MONGO_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=128'];
