// GOV.UK Frontend's progressive enhancements; every page also works without JavaScript.
import { initAll } from './govuk-frontend.min.js'

initAll()
