package guapocadotest

// SignUpWithOrganization seeds a user who can bill at once: it signs the
// user up (SignUp) and creates an organization, with its default team, that
// becomes the session's active one (CreateOrganization). The user can sign
// in later with email and password; a fresh sign-in, as with the real
// server, starts with no active organization.
func (s *Server) SignUpWithOrganization(email, password, name, orgName, orgSlug string) (Session, error) {
	sess, err := s.SignUp(email, password, name)
	if err != nil {
		return Session{}, err
	}
	return s.CreateOrganization(sess.Token, orgName, orgSlug)
}
