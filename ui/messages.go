package ui

import (
	"time"

	"github.com/cfsign/cfsign/internal/app"
)

// Navigation: views return these (wrapped in a tea.Cmd) to ask the root to switch screens.
type (
	// openUploadMsg opens the upload view into bucket/prefix.
	openUploadMsg struct{ bucket, prefix string }
	// openSignMsg opens the sign view for one or more object keys.
	openSignMsg struct {
		bucket string
		keys   []string
		// version is one version to presign (an S3 presigned URL; a
		// CloudFront URL serves the current version only).
		version string
	}
	// openSetupMsg opens the setup view.
	openSetupMsg struct{}
	// backMsg returns to the browser.
	backMsg struct{}
	// uploadsDoneMsg tells the root uploads finished: it returns to the
	// browser, refreshes and selects the first key.
	uploadsDoneMsg struct {
		bucket  string
		keys    []string
		skipped int // files not sent: an object had the key and was kept
	}
	// settingsSavedMsg carries new settings after the setup view saved them.
	// With stay the setup view stays on screen (it shows a result);
	// overridden names saved settings a flag or variable still overrides.
	settingsSavedMsg struct {
		settings   app.Settings
		stay       bool
		overridden []string
	}
	// statusMsg puts a notice or error on the status line.
	statusMsg struct {
		text string
		err  bool
	}
	// clearStatusMsg clears the status line if it still shows notice seq.
	clearStatusMsg struct{ seq int }
	// openDownloadMsg opens the download view for objects of bucket (with
	// the version of each, "" for the current one).
	openDownloadMsg struct {
		bucket   string
		keys     []string
		versions []string
	}
	// downloadsDoneMsg returns from the download view to the browser,
	// with a notice of what was written.
	downloadsDoneMsg struct{ note string }
	// openBucketsMsg opens the bucket switcher.
	openBucketsMsg struct{}
	// bucketChosenMsg switches the app to bucket, with its own settings.
	bucketChosenMsg struct{ bucket string }
)

// statusTTL is how long a notice stays on the status line.
const statusTTL = 4 * time.Second
