export { default as dummyMutation } from './dummyMutation';
