// Shared by test/ and bench/, which must not import from each other; npm start uses it too.
export { freePort } from '../../src/devStack/freePort';
