// Colour is decided per run from io.env; make sure nothing leaks in from the developer's shell.
delete process.env.FORCE_COLOR;
for (const key of Object.keys(process.env)) {
  if (key.startsWith('OS_') || key === 'CINDER_ENDPOINT') delete process.env[key];
}
