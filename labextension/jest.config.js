/**
 * Unit tests: ts-jest in a jsdom environment (see src/__tests__).
 *
 * JupyterLab's UI packages and d3's modules ship ES modules, so the JavaScript of those
 * node_modules is compiled to CommonJS too (by TypeScript, without type
 * checks); their SVG and CSS imports load as strings.
 */
const esModules = ['@jupyter', '@jupyterlab', '@microsoft', 'exenv-es6', 'd3-[a-z-]+', 'internmap'].join('|');

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.spec.ts'],
  setupFiles: ['<rootDir>/testing/jest-setup.js'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
    '^.+\\.(m?js|jsx)$': [
      'ts-jest',
      {
        tsconfig: { allowJs: true, esModuleInterop: true, isolatedModules: true, module: 'commonjs', target: 'ES2020' }
      }
    ],
    '^.+\\.(svg|css)$': '<rootDir>/testing/raw-transform.js'
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esModules})/)`],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'json'],
  testTimeout: 10000
};
