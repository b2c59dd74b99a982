export { default as graphqlHandler } from './graphql/apolloServer';
