// Package model holds forge's types: what a user, a namespace, a project, a membership, a
// token, an event, an environment, a deployment, a release or a defect is. db fills them from
// its rows and stores them; forge gives them their rules and hands them (or views of them) to
// the dialects and pages. It imports only the standard library.
//
// Nothing in it is a secret: a user's password hash and a token's digest stay in db and forge,
// which read and write them through their own small functions. TestModelHoldsNoSecrets keeps it
// so.
package model
