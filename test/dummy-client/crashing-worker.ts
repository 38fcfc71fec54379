/** A fleet worker entry that dies at once: proves runFleet reports a worker crash. */
throw new Error('deliberate crash in a fleet worker');
