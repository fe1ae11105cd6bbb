module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testTimeout: 20000
}
