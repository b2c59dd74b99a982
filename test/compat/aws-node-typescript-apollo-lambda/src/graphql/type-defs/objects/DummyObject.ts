export default `
  type DummyObject {
    firstItem: String!
    secondItem: String!
  }
`;
