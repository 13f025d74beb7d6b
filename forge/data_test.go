package forge_test

import "github.com/cairn-forge/cairn/forge"

// openData opens a new database and repository store in a temporary directory, closed at
// the end of the test, and returns them with the directory.
var openData = forge.OpenTestData
