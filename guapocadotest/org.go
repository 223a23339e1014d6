package guapocadotest

import (
	"net/http"
	"time"
)

type org struct {
	id, name, slug string
	createdAt      time.Time
	members        []*member
}

type member struct {
	id, userID, role string
	createdAt        time.Time
}

type team struct {
	id, name, orgID string
	createdAt       time.Time
	updatedAt       *time.Time // the default team has none, like Better Auth's
	members         map[string]bool
}

func (o *org) hasMember(userID string) bool {
	for _, m := range o.members {
		if m.userID == userID {
			return true
		}
	}
	return false
}

func orgJSON(o *org) obj {
	return obj{{"name", o.name}, {"slug", o.slug}, {"createdAt", isoTime(o.createdAt)}, {"id", o.id}}
}

func teamJSON(t *team) obj {
	o := obj{{"name", t.name}, {"organizationId", t.orgID}, {"createdAt", isoTime(t.createdAt)}}
	if t.updatedAt != nil {
		o = append(o, kv{"updatedAt", isoTime(*t.updatedAt)})
	}
	return append(o, kv{"id", t.id})
}

// createOrg creates an organization owned by sess's user, with a default
// team of the same name, and makes both active unless keepActive (Better
// Auth's keepCurrentActiveOrganization), which leaves the session's active
// organization and team as they were. Call with s.mu held.
func (s *Server) createOrg(sess *session, name, slug string, keepActive bool, now time.Time) (*org, *response) {
	if _, taken := s.st.orgsBySlug[slug]; taken {
		r := errorResponse(http.StatusBadRequest, "Organization already exists", "ORGANIZATION_ALREADY_EXISTS")
		return nil, &r
	}
	o := &org{id: randomID(), name: name, slug: slug, createdAt: now}
	o.members = append(o.members, &member{id: randomID(), userID: sess.userID, role: "owner", createdAt: now})
	s.st.orgs[o.id] = o
	s.st.orgsBySlug[slug] = o
	s.st.orgOrder = append(s.st.orgOrder, o.id)
	t := &team{id: randomID(), name: name, orgID: o.id, createdAt: now, members: map[string]bool{sess.userID: true}}
	s.st.teams[t.id] = t
	s.st.teamOrder = append(s.st.teamOrder, t.id)
	if !keepActive {
		sess.activeOrg, sess.activeTeam, sess.orgTouched, sess.updatedAt = o.id, t.id, true, now
	}
	return o, nil
}

// POST /organization/create {name, slug, keepCurrentActiveOrganization?}
func (s *Server) orgCreate(c *call) response {
	keep, _ := c.body["keepCurrentActiveOrganization"].(bool)
	o, fail := s.createOrg(c.sess, strField(c.body, "name"), strField(c.body, "slug"), keep, c.now)
	if fail != nil {
		return *fail
	}
	m := o.members[0]
	return jsonResponse(http.StatusOK, append(orgJSON(o), kv{"members", []any{obj{
		{"organizationId", o.id},
		{"userId", m.userID},
		{"role", m.role},
		{"createdAt", isoTime(m.createdAt)},
		{"id", m.id},
	}}}))
}

// GET /organization/list: the organizations the user belongs to.
func (s *Server) orgList(c *call) response {
	list := []any{}
	for _, id := range s.st.orgOrder {
		if o := s.st.orgs[id]; o.hasMember(c.sess.userID) {
			list = append(list, orgJSON(o))
		}
	}
	return jsonResponse(http.StatusOK, list)
}

// POST /organization/set-active {organizationId} | {organizationSlug};
// as in Better Auth 1.7.25 it sets or (organizationId null) clears the
// active organization only: the active team stays (and a team-sourced
// customer with it) until set-active-team {teamId:null}. A refusal because
// the user is not a member clears the active organization too.
func (s *Server) orgSetActive(c *call) response {
	sess := c.sess
	id, hasID := c.body["organizationId"]
	slug := strField(c.body, "organizationSlug")
	if hasID && id == nil {
		if sess.activeOrg == "" {
			return jsonResponse(http.StatusOK, nil)
		}
		sess.activeOrg, sess.orgTouched, sess.updatedAt = "", true, c.now
		resp := jsonResponse(http.StatusOK, nil)
		mergeHeader(resp.header, s.sessionHeaders(sess, c.dontRemember))
		return resp
	}
	orgID, _ := id.(string)
	if orgID == "" && slug != "" {
		o := s.st.orgsBySlug[slug]
		if o == nil {
			return errorResponse(http.StatusBadRequest, "Organization not found", "ORGANIZATION_NOT_FOUND")
		}
		orgID = o.id
	}
	if orgID == "" {
		orgID = sess.activeOrg
		if orgID == "" {
			return jsonResponse(http.StatusOK, nil)
		}
	}
	o := s.st.orgs[orgID]
	if o == nil || !o.hasMember(sess.userID) {
		// Better Auth clears the active organization before refusing
		sess.activeOrg, sess.orgTouched, sess.updatedAt = "", true, c.now
		return errorResponse(http.StatusForbidden, "User is not a member of the organization", "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	}
	// the active team stays, even one of another organization
	sess.activeOrg, sess.orgTouched, sess.updatedAt = o.id, true, c.now
	resp := jsonResponse(http.StatusOK, orgJSON(o))
	mergeHeader(resp.header, s.sessionHeaders(sess, c.dontRemember))
	return resp
}

// POST /organization/set-active-team {teamId}; null clears the team.
func (s *Server) orgSetActiveTeam(c *call) response {
	sess := c.sess
	id, hasID := c.body["teamId"]
	if hasID && id == nil {
		sess.activeTeam, sess.orgTouched, sess.updatedAt = "", true, c.now
		resp := jsonResponse(http.StatusOK, nil)
		mergeHeader(resp.header, s.sessionHeaders(sess, c.dontRemember))
		return resp
	}
	teamID, _ := id.(string)
	if teamID == "" {
		teamID = sess.activeTeam
		if teamID == "" {
			return jsonResponse(http.StatusOK, nil)
		}
	}
	t := s.st.teams[teamID]
	if t == nil {
		return errorResponse(http.StatusBadRequest, "Team not found", "TEAM_NOT_FOUND")
	}
	if !t.members[sess.userID] {
		return errorResponse(http.StatusForbidden, "User is not a member of the team", "USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
	}
	sess.activeTeam, sess.orgTouched, sess.updatedAt = t.id, true, c.now
	resp := jsonResponse(http.StatusOK, teamJSON(t))
	mergeHeader(resp.header, s.sessionHeaders(sess, c.dontRemember))
	return resp
}

// GET /organization/list-teams: the teams of the active organization.
func (s *Server) orgListTeams(c *call) response {
	if c.sess.activeOrg == "" {
		return errorResponse(http.StatusBadRequest, "No active organization", "NO_ACTIVE_ORGANIZATION")
	}
	list := []any{}
	for _, id := range s.st.teamOrder {
		if t := s.st.teams[id]; t.orgID == c.sess.activeOrg {
			list = append(list, teamJSON(t))
		}
	}
	return jsonResponse(http.StatusOK, list)
}

// POST /organization/create-team {name, organizationId?}: the creator does
// not become a member of the new team.
func (s *Server) orgCreateTeam(c *call) response {
	orgID := strField(c.body, "organizationId")
	if orgID == "" {
		orgID = c.sess.activeOrg
	}
	if orgID == "" {
		return errorResponse(http.StatusBadRequest, "No active organization", "NO_ACTIVE_ORGANIZATION")
	}
	o := s.st.orgs[orgID]
	if o == nil || !o.hasMember(c.sess.userID) {
		return errorResponse(http.StatusForbidden, "You are not allowed to invite users to this organization", "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION")
	}
	now := c.now
	t := &team{id: randomID(), name: strField(c.body, "name"), orgID: o.id, createdAt: now, updatedAt: &now, members: map[string]bool{}}
	s.st.teams[t.id] = t
	s.st.teamOrder = append(s.st.teamOrder, t.id)
	return jsonResponse(http.StatusOK, teamJSON(t))
}

// POST /organization/add-team-member {teamId, userId}
func (s *Server) orgAddTeamMember(c *call) response {
	t := s.st.teams[strField(c.body, "teamId")]
	if t == nil {
		return errorResponse(http.StatusBadRequest, "Team not found", "TEAM_NOT_FOUND")
	}
	o := s.st.orgs[t.orgID]
	userID := strField(c.body, "userId")
	if !o.hasMember(c.sess.userID) || !o.hasMember(userID) {
		return errorResponse(http.StatusForbidden, "User is not a member of the organization", "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	}
	t.members[userID] = true
	return jsonResponse(http.StatusOK, obj{
		{"teamId", t.id},
		{"userId", userID},
		{"createdAt", isoTime(c.now)},
		{"id", randomID()},
	})
}
