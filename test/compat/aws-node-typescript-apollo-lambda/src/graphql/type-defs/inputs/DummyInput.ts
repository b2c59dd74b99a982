export default `
  input DummyInput {
    firstInput: String!
    secondInput: String!
  }
`;
