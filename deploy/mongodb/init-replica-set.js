// One-shot job (mongodb-init, mongosh): makes the single mongod a one-member replica set `rs0`, because MongoDB
// transactions need a replica set, then waits until it is primary so dependants start against a writable node.
// Idempotent: an initiated set is left as it is. The member's host is the compose service name, which is the
// address every client in the network uses (MONGO_URL ...?replicaSet=rs0).
try {
  rs.status();
  print('[mongodb-init] replica set already initiated');
} catch (err) {
  if (err.codeName !== 'NotYetInitialized') throw err;
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongodb:27017' }] });
  print('[mongodb-init] replica set rs0 initiated');
}
const deadline = Date.now() + 60000;
while (!db.hello().isWritablePrimary) {
  if (Date.now() > deadline) throw new Error('[mongodb-init] no primary within 60 s');
  sleep(500);
}
print('[mongodb-init] primary ready');
