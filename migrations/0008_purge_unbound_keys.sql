-- Keys and documents cached before keys were bound to the actors that list them
-- (src/federation/key-binding.ts) may carry an owner that was never checked: forget them,
-- they are fetched again, and checked, when next used.
DELETE FROM "kv_entries"
WHERE "key_path"[1] = '_fedify'
  AND "key_path"[2] IN ('publicKey', 'remoteDocument');
