/**
 * V8 flags the server's process should be started with. The server keeps every document as JavaScript objects, so
 * its heap grows with the data; with the default 16 MB semi-spaces, the short-lived objects of each command (decoded
 * BSON, copies, replies) overflow the young generation and are promoted, and the old generation then pays for them in
 * mark-compact cycles that scan the whole data set. Young generations of 64 MB keep them young: at 600 000 stored
 * documents of about 1 KB, server CPU per find + replace fell from 206 to 107 µs and a bulk load took 38 % less CPU.
 * With a million documents held, each scavenge of a 64 MB young generation took 11-13 ms (the stored data's
 * references into it are its roots): 128 MB halves how many there are. 50 000 profiles written in slices of 1 000
 * beside a million stored documents: 149 -> 84 µs of server CPU per insert, 156 -> 107 per guarded upsert (256 MB:
 * 100 per insert, the scavenges grow again).
 */
export const EMBEDDED_MONGO_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=128'];
