package actiontest_test

import (
	"testing"
	"time"

	"github.com/hirewire/hirewire/actions/actiontest"
)

func TestVarsLookLikeWhatRulesSee(t *testing.T) {
	vars := actiontest.Vars(t, "CandidateHired")
	ev := vars["event"].(map[string]any)
	if _, ok := ev["WebhookSecret"]; ok {
		t.Error("the webhook secret is visible")
	}
	if ev["Type"] != "CandidateHired" || ev["CandidateId"] != 987654 || ev["Id"] != actiontest.EventID {
		t.Errorf("event = %v", ev)
	}
	cand := vars["candidate"].(map[string]any)
	hired, ok := cand["HiredDateTimeUtc"].(time.Time)
	if !ok || !hired.Equal(time.UnixMilli(1523353751000)) {
		t.Errorf("HiredDateTimeUtc = %#v", cand["HiredDateTimeUtc"])
	}
	if hired.Location() != time.UTC {
		t.Errorf("HiredDateTimeUtc in %v, want UTC as the fetch stage gives", hired.Location())
	}
	pos := vars["position"].(map[string]any)
	if pos["Name"] != "Backend Developer" {
		t.Errorf("position = %v", pos)
	}
}

func TestServerRecordsAndRepeatsTheLastReply(t *testing.T) {
	srv := actiontest.NewServer(t, actiontest.Reply{Status: 500}, actiontest.Reply{Status: 201, Body: "made"})
	for _, want := range []int{500, 201, 201} {
		resp, err := srv.Client().Post(srv.URL+"/a?b=1", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("status = %d, want %d", resp.StatusCode, want)
		}
	}
	if n := len(srv.Requests()); n != 3 || srv.Last(t).URI != "/a?b=1" {
		t.Errorf("%d requests, last %+v", n, srv.Last(t))
	}
}
