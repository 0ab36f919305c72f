/* The check-ins waiting on this phone, in IndexedDB: each is put here before it is sent
   and deleted only when the server acknowledged it (or refused it for good), so closing
   the page, losing the signal or reloading never loses one. */
"use strict";

function openQueue() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("pantau", 1);
    req.onupgradeneeded = () => req.result.createObjectStore("queue", { keyPath: "event_id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function queueDo(mode, work) {
  const db = await openQueue();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("queue", mode);
    const req = work(tx.objectStore("queue"));
    tx.oncomplete = () => { db.close(); resolve(req ? req.result : undefined); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}

const queuePut = (item) => queueDo("readwrite", (s) => s.put(item));
const queueDelete = (id) => queueDo("readwrite", (s) => s.delete(id));
const queueAll = () => queueDo("readonly", (s) => s.getAll());

