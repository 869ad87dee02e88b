// Builds the front-end assets into grants/static/dist from the pinned npm packages:
// GOV.UK Frontend's Sass compiled with the service's own font stack, its JavaScript, and icons.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as sass from 'sass'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'grants', 'static', 'dist')
const govuk = join(root, 'node_modules', 'govuk-frontend', 'dist', 'govuk')

mkdirSync(join(out, 'images'), { recursive: true })

const result = sass.compile(join(root, 'assets', 'app.scss'), {
  style: 'compressed',
  importers: [new sass.NodePackageImporter()],
  quietDeps: true,
  silenceDeprecations: ['import']
})
writeFileSync(join(out, 'app.css'), result.css)

cpSync(join(govuk, 'govuk-frontend.min.js'), join(out, 'govuk-frontend.min.js'))
cpSync(join(root, 'assets', 'app.js'), join(out, 'app.js'))
cpSync(join(root, 'assets', 'favicon.svg'), join(out, 'images', 'favicon.svg'))
console.log(`assets built in ${out}`)
