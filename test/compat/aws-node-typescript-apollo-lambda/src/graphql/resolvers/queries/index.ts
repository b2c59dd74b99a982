export { default as dummyQuery } from './dummyQuery';
