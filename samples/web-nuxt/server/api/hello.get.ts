export default defineEventHandler((event) => {
  const { name } = getQuery(event)
  return { app: 'nuxt', greeting: `Hello, ${typeof name === 'string' && name ? name : 'world'}!` }
})
