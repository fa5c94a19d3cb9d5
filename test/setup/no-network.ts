import nock from "nock";

// No test reaches beyond this machine: nock answers for GitHub, the model and evaluators; only servers a test
// starts on loopback are real. Files add their own nock scopes and check them.
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/(localhost|127\.0\.0\.1)/);
});

afterAll(() => {
  nock.enableNetConnect();
});
