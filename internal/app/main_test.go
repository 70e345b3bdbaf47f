package app

import (
	"testing"

	"github.com/cfsign/cfsign/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
