/** The Cinder endpoint nock answers for in unit tests of the client and the commands (never a real host). */
export const FAKE_CINDER_ROOT = 'http://cinder.test:8776';

/** Environment for in-process runs: noauth against the fake endpoint. */
export const NOAUTH_ENV = {
  OS_AUTH_TYPE: 'noauth',
  OS_ENDPOINT: `${FAKE_CINDER_ROOT}/v3`,
  OS_PROJECT_ID: 'admin',
  OS_USER_ID: 'admin',
};
